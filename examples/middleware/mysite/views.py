from django.http import HttpResponse


def layers(request):
    # ServerTimingMiddleware adds its name to the ASGI scope on the way in;
    # Django keeps the scope on the request.
    passed = " > ".join(request.scope.get("layers", []))
    return HttpResponse(f"{passed} > view\n", content_type="text/plain")


def report(request):
    # A body well over GZipMiddleware's minimum_size of 500 bytes.
    lines = [f"line {n:03}: all systems nominal" for n in range(1, 101)]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")
