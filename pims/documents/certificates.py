"""Printable documents: the PDF of a 生育登记 (A4, Chinese fonts embedded by
WeasyPrint as pims.stats does) with its number and the QR code of its
verification URL — the code holds that URL only, no name or ID."""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg
from django.template.loader import render_to_string

from pims.stats.exports import FONT

from .models import BirthRegistration


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
