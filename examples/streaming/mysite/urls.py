from django.urls import path

from . import views

urlpatterns = [
    path("quote/", views.quote),
    path("quote-shared/", views.quote_shared),
    path("report/", views.report),
    path("report-sync/", views.report_sync),
    path("events/", views.events),
]
