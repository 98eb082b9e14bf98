from django.http import HttpResponse


def hello(request):
    # Under an ASGI server Django builds an ASGIRequest; runserver builds a
    # WSGIRequest. Printing the class shows which handler served the page.
    return HttpResponse(
        f"Hello from {type(request).__name__}\n", content_type="text/plain"
    )
