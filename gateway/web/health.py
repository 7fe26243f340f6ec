"""Liveness: ``/healthz`` answers 200 whenever the process can serve a request."""

from flask import Blueprint, jsonify

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")
