from django.conf import settings


def site(request):
    """Values every public page's layout needs."""
    return {"home_region_code": settings.HOME_REGION_CODE}
