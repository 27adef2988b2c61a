from django.urls import reverse

from .modules import MODULES, items_for


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if user.requires_2fa and not user.is_verified():
        # Signed in but not through 2FA yet: every module would redirect
        # back to the code page, so none is offered.
        return {"pending_2fa": True}
    current = request.path
    nav = []
    for key, module in MODULES.items():
        if not items_for(user, module):
            continue  # each role sees only the modules it can use
        url = reverse("web:module", args=[key])
        nav.append({"title": module.title, "url": url, "active": current.startswith(url)})
    return {"nav_modules": nav}
