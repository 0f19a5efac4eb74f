"""The records pages: held sign-ups, no-shows and qualifications, for organisers and volunteers."""
