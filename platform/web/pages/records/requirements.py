"""服务要求: which activity kinds need a qualification, and which kinds or kinds of help need insurance cover on the
day; and whether training activities earn points. An organiser sees them for the community and sets or lifts them here, through the same service calls as the API
(audited; a volunteer without what is required is refused at sign-up or when taking a request)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Controller, Request, Response, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from servicebank.accounts.principal import Principal
from servicebank.activities.kinds import kinds_for
from servicebank.kernel.clock import utcnow
from servicebank.kernel.errors import DomainError
from servicebank.org import service as org
from servicebank.records import insurance, qualifications, training_requirements, trainings
from servicebank.records.models import TrainingCategory
from servicebank.records.schemas import TrainingRuleIn
from servicebank.requests import service as requests_service
from servicebank.web import forms, i18n
from servicebank.web.guard import require_login
from servicebank.web.pages.records.no_shows import refused
from servicebank.web.render import lang_of, redirect, render

FLASHES = {"requirement_set": i18n.N_("The requirement is saved."),
           "requirement_lifted": i18n.N_("The requirement is lifted."),
           "training_rule_saved": i18n.N_("Saved: whether training activities earn points.")}


def _community(form: dict[str, Any]) -> int:
    return forms.whole(form, "community", "Choose the community.") or 0


def _target(form: dict[str, Any]) -> tuple[str | None, int | None]:
    """`target=kind:<code>` or `target=category:<id>`: (kind code, request category id), one of them set."""
    what, _sep, value = forms.text(form, "target").partition(":")
    return (value if what == "kind" else None,
            int(value) if what == "category" and value.isdigit() else None)


def _back(community_id: int, required: bool) -> str:
    return f"/manage/requirements?community={community_id}&done={'requirement_set' if required else 'requirement_lifted'}"


class RequirementPages(Controller):
    path = "/manage/requirements"
    include_in_schema = False

    @get("/")
    async def page(self, request: Request, db_session: AsyncSession, optional_principal: Principal | None,
                   community: int | None = None, done: str = "") -> Response:
        """The community's requirements, each with 取消, and the forms to add one."""
        principal = require_login(optional_principal)
        _ = i18n.translator(lang_of(request))
        chosen, choices = await org.pick_workplace(db_session, actor=principal, community_id=community)
        principal.require_manager(chosen.id)
        types = await qualifications.list_types(db_session, principal=principal, community_id=chosen.id)
        categories = await requests_service.categories(db_session, principal=principal, community_id=chosen.id)
        return render(
            request, "records/requirements.html", principal, title=_("Service requirements"), community=chosen,
            choices=choices, kinds={k.code: k.name for k in await kinds_for(db_session, community_id=chosen.id)},
            types={t.code: t.name for t in types}, categories={c.id: c.name for c in categories},
            qualified=await qualifications.list_requirements(db_session, principal=principal, community_id=chosen.id),
            covered=await insurance.list_requirements(db_session, principal=principal, community_id=chosen.id),
            trained=await training_requirements.list_requirements(db_session, principal=principal,
                                                                  community_id=chosen.id),
            training_categories=TrainingCategory.ALL,
            training_rule=await trainings.rule(db_session, principal=principal, community_id=chosen.id),
            flash=_(FLASHES[done]) if done in FLASHES else None)

    @post("/qualification")
    async def qualification(self, request: Request, db_session: AsyncSession,
                            optional_principal: Principal | None) -> Response:
        """Make a kind require a qualification (`required=1`) or lift it (`required=0`)."""

        async def change(principal: Principal, form: dict[str, Any], community_id: int, required: bool) -> None:
            await qualifications.set_requirement(db_session, principal=principal, community_id=community_id,
                                                 kind_code=forms.text(form, "kind"),
                                                 qualification_code=forms.text(form, "qualification_code"),
                                                 required=required)

        return await _changed(request, db_session, optional_principal, change)

    @post("/insurance")
    async def cover(self, request: Request, db_session: AsyncSession, optional_principal: Principal | None) -> Response:
        """Make an activity kind (`target=kind:<code>`) or a kind of help (`target=category:<id>`) require insurance
        cover, or lift it."""

        async def change(principal: Principal, form: dict[str, Any], community_id: int, required: bool) -> None:
            kind_code, category_id = _target(form)
            await insurance.set_requirement(db_session, principal=principal, community_id=community_id,
                                            kind_code=kind_code, request_category_id=category_id, required=required)

        return await _changed(request, db_session, optional_principal, change)

    @post("/training")
    async def training(self, request: Request, db_session: AsyncSession,
                       optional_principal: Principal | None) -> Response:
        """Make a kind or a kind of help require a training of a category (`months`: within the last so many months;
        empty: ever), or lift it."""

        async def change(principal: Principal, form: dict[str, Any], community_id: int, required: bool) -> None:
            kind_code, category_id = _target(form)
            await training_requirements.set_requirement(
                db_session, principal=principal, community_id=community_id, kind_code=kind_code,
                request_category_id=category_id, category=forms.text(form, "category"),
                within_months=forms.whole(form, "months", "Give the months as a whole number, or leave it empty."),
                required=required)

        return await _changed(request, db_session, optional_principal, change)

    @post("/training-points")
    async def training_points(self, request: Request, db_session: AsyncSession,
                              optional_principal: Principal | None) -> Response:
        """Let attending a training activity earn points (`earns_points=1`), or stop it (`0`)."""

        async def change(principal: Principal, form: dict[str, Any], community_id: int, _required: bool) -> None:
            await trainings.set_rule(db_session, principal=principal, community_id=community_id,
                                     data=TrainingRuleIn(earns_points=forms.text(form, "earns_points") == "1"),
                                     now=utcnow())

        return await _changed(request, db_session, optional_principal, change, done="training_rule_saved")


Change = Callable[[Principal, dict[str, Any], int, bool], Awaitable[None]]


async def _changed(request: Request, db_session: AsyncSession, optional_principal: Principal | None, change: Change,
                   done: str | None = None) -> Response:
    """Read the form, apply `change` (a service call that checks and audits), and go back to the page with the word of
    what happened; a refusal is shown as a sentence and changes nothing."""
    principal = require_login(optional_principal)
    form = forms.values(await request.form())
    required = forms.text(form, "required") != "0"
    try:
        community_id = _community(form)
        await change(principal, form, community_id, required)
    except DomainError as exc:
        return await refused(request, db_session, principal, exc)
    if done is None:
        return redirect(request, _back(community_id, required))
    return redirect(request, f"/manage/requirements?community={community_id}&done={done}")
