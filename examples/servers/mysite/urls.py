from django.urls import path

from . import views

urlpatterns = [
    path("", views.index),
    path("client/", views.client),
    path("form/", views.form),
    path("slow/", views.slow),
    path("slow-sync/", views.slow_sync),
    path("boom/", views.boom),
]
