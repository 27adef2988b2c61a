from django.urls import reverse

from .modules import MODULES


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    current = request.path
    nav = []
    for key, module in MODULES.items():
        url = reverse("web:module", args=[key])
        nav.append({"title": module.title, "url": url, "active": current.startswith(url)})
    return {"nav_modules": nav}
