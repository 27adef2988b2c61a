"""Printable documents: the PDF of a 生育登记 (A4) and of a 独生子女父母光荣证
(A5, the booklet's two facing pages side by side), Chinese fonts embedded by
WeasyPrint as pims.stats does, each with its number and the QR code of its
verification URL — the code holds that URL only, no name or ID."""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg
from django.template.loader import render_to_string

from pims.codes.selectors import code_map
from pims.stats.exports import FONT

from .models import BirthRegistration, HonourCertificate


def qr_data_uri(url: str) -> str:
    """The QR code of `url` as an SVG data URI (for <img src>)."""
    img = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    out = io.BytesIO()
    img.save(out)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode()


def registration_pdf(registration: BirthRegistration, *, verify_url: str, issuer_name: str) -> bytes:
    from weasyprint import HTML

    counted = [line for line in registration.derivation if line.get("counted")]
    html = render_to_string(
        "documents/registration_pdf.html",
        {
            "r": registration,
            "spouses": [
                ("男方", registration.particulars.get("husband", {})),
                ("女方", registration.particulars.get("wife", {})),
            ],
            "children": counted,
            "issuer_name": issuer_name,
            "qr": qr_data_uri(verify_url),
            "verify_url": verify_url,
            "font": FONT,
        },
    )
    return HTML(string=html).write_pdf()


def _honour_person(p: dict, names: dict[str, dict[str, str]], places: dict[str, str]) -> dict:
    """A parent's or the child's printed fields, the codes named."""
    return p | {
        "registered_place": places.get(p.get("registered_code", ""), p.get("registered_code", "")),
        "ethnicity": names["ethnicity"].get(p.get("ethnicity", ""), p.get("ethnicity", "")),
        "hukou_type": names["household_registration_type"].get(p.get("hukou_type", ""), p.get("hukou_type", "")),
        "sex": names["sex"].get(p.get("sex", ""), p.get("sex", "")),
    }


def honour_pdf(cert: HonourCertificate, *, verify_url: str, issuer_name: str) -> bytes:
    """The certificate as printed (DOMAIN.md §4 fields): number, issuing
    unit, date and handler; both parents and the child; the 奖励费 period;
    the annotations (a revocation is printed across it)."""
    from weasyprint import HTML

    from pims.search.selectors import region_names

    names = {t: code_map(t) for t in ("ethnicity", "household_registration_type", "sex")}
    p = cert.particulars
    places = region_names(p.get(k, {}).get("registered_code", "") for k in ("father", "mother", "child"))
    html = render_to_string(
        "documents/honour_pdf.html",
        {
            "c": cert,
            "parents": [
                ("父亲", _honour_person(p.get("father", {}), names, places)),
                ("母亲", _honour_person(p.get("mother", {}), names, places)),
            ],
            "child": _honour_person(p.get("child", {}), names, places),
            "issuer_name": issuer_name,
            "qr": qr_data_uri(verify_url),
            "font": FONT,
        },
    )
    return HTML(string=html).write_pdf()
