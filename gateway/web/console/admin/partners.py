"""Partners (admins only): create one at a sharing level, change it, create
and revoke its API tokens, and see everything it has received (its shares)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from gateway.accounts import partners as partner_accounts
from gateway.accounts import tokens as api_tokens
from gateway.privacy import sharing
from gateway.store.models import ApiToken, Partner, Share
from gateway.vocab import SharingLevel
from gateway.web.context import vocabulary

from ..common import PAGE_SIZE, args_without, audit, db, now, page_number
from . import bp


def render_partners(errors=None, status=200):
    rows = partner_accounts.listing(db())
    received = {partner_id: count for partner_id, count in db().execute(
        select(Share.partner_id, func.count()).group_by(Share.partner_id))}
    return render_template("console/admin/partners.html", partners=rows, received=received,
                           levels=list(SharingLevel), counties=list(vocabulary().counties),
                           errors=errors or {}, values=request.form if errors else {}), status


def partner_or_404(partner_id: int) -> Partner:
    row = db().get(Partner, partner_id) if 0 < partner_id < 2**31 else None
    if row is None:
        abort(404, "There is no such partner.")
    return row


def render_partner(partner: Partner, *, token: str | None = None, errors=None, status=200):
    query = select(Share).where(Share.partner_id == partner.id).order_by(Share.id.desc())
    total = db().scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    page = page_number()
    shares = db().scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    tokens = db().scalars(select(ApiToken).where(ApiToken.partner_id == partner.id)
                          .order_by(ApiToken.id)).all()
    return render_template(
        "console/admin/partner.html", partner=partner, shares=shares, total=total, page=page,
        pages=max(1, -(-total // PAGE_SIZE)), paging=args_without("page") | {"partner_id": partner.id}, tokens=tokens,
        new_token=token, levels=list(SharingLevel), counties=list(vocabulary().counties),
        table=sharing.TABLE, errors=errors or {}), status


@bp.get("/partners")
def partners():
    return render_partners()


@bp.post("/partners")
def create_partner():
    try:
        row = partner_accounts.create(db(), request.form.get("name", ""),
                                      request.form.get("level", ""),
                                      request.form.getlist("counties"),
                                      known_counties=vocabulary().counties)
    except partner_accounts.PartnerError as exc:
        db().rollback()
        return render_partners({"form": str(exc)}, 400)
    audit("partner.created", f"partner:{row.id}", name=row.name, level=row.level,
          counties=row.counties)
    db().commit()
    flash(f"Partner {row.name} created: create a token for it below.")
    return redirect(url_for("admin.partner", partner_id=row.id))


@bp.get("/partners/<int:partner_id>")
def partner(partner_id):
    return render_partner(partner_or_404(partner_id))


@bp.post("/partners/<int:partner_id>")
def update_partner(partner_id):
    row = partner_or_404(partner_id)
    level = request.form.get("level", "")
    counties = sorted(set(request.form.getlist("counties")))
    if level not in list(SharingLevel):
        return render_partner(row, errors={"form": "Choose a sharing level."}, status=400)
    if any(c not in list(vocabulary().counties) for c in counties):
        return render_partner(row, errors={"form": "Choose counties from the list."}, status=400)
    row.level, row.counties = level, counties
    row.active = request.form.get("active") in ("1", "on")
    audit("partner.updated", f"partner:{row.id}", level=level, counties=counties,
          active=row.active)
    db().commit()
    flash(f"Partner {row.name} saved.")
    return redirect(url_for("admin.partner", partner_id=row.id))


@bp.post("/partners/<int:partner_id>/tokens")
def create_partner_token(partner_id):
    row = partner_or_404(partner_id)
    name = " ".join(request.form.get("name", "").split()) or "api"
    if not row.active:
        return render_partner(row, errors={"form": "The partner is inactive: activate it first."},
                              status=400)
    token_row, token = api_tokens.create_for_partner(db(), row, name)
    audit("token.create", f"token:{token_row.id}", partner=row.name, name=token_row.name,
          prefix=token_row.prefix)
    db().commit()
    # Shown once, in this answer only (never in a URL or a flash stored in the session).
    return render_partner(row, token=token)


@bp.post("/partners/<int:partner_id>/tokens/<int:token_id>/revoke")
def revoke_partner_token(partner_id, token_id):
    row = partner_or_404(partner_id)
    token_row = db().get(ApiToken, token_id) if 0 < token_id < 2**31 else None
    if token_row is None or token_row.partner_id != row.id:
        abort(404, "This partner has no such token.")
    if api_tokens.revoke(db(), token_row, now=now()):
        audit("token.revoke", f"token:{token_row.id}", partner=row.name, prefix=token_row.prefix)
        db().commit()
    flash(f"Token {token_row.prefix}… revoked.")
    return redirect(url_for("admin.partner", partner_id=row.id))
