import pims


def release(request):
    """The release in every page's footer (what an operator reports with a problem)."""
    return {"pims_version": pims.__version__}
