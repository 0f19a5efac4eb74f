"""The qualification types every community starts with; a community adds its own or renames these (same code)."""

from __future__ import annotations

# code -> name. Codes are stable (kinds require them, volunteers hold them); names are what people read.
DEFAULT_TYPES: dict[str, str] = {
    "first_aid": "急救证",
    "health_certificate": "健康证",
    "driving_licence": "驾驶证",
    "counsellor": "心理咨询师",
    "electrician": "电工证",
    "social_worker": "社会工作者职业资格",
}
