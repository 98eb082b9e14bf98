from django.conf import settings
from django.http import HttpResponse


def active_settings(request):
    # Shows which settings module this process loaded. It is here so that the
    # docs and tests can see it; do not expose this in a real project.
    return HttpResponse(
        f"SETTINGS_MODULE: {settings.SETTINGS_MODULE}\nDEBUG: {settings.DEBUG}\n",
        content_type="text/plain",
    )
