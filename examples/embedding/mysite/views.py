from django.http import HttpResponse
from django.urls import reverse


def where(request):
    # Under a prefix, Django splits the path into SCRIPT_NAME (the prefix,
    # from scope["root_path"]) and path_info (what its URLconf matches), and
    # reverse() puts the prefix back in front.
    lines = [
        f"path: {request.path}",
        f"path_info: {request.path_info}",
        f"SCRIPT_NAME: {request.META['SCRIPT_NAME']}",
        f"reverse('where'): {reverse('where')}",
        f"reverse('admin:index'): {reverse('admin:index')}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")
