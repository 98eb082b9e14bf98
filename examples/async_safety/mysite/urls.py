from django.urls import path

from . import views

urlpatterns = [
    path("count/sync/", views.count_sync),
    path("count/broken/", views.count_broken),
    path("notes/", views.notes),
    path("notes/<int:pk>/", views.note_detail),
    path("notes/import/", views.import_notes),
    path("nap/blocking/", views.nap_blocking),
    path("nap/", views.nap),
]
