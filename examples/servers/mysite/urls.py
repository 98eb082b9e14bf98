from django.urls import path

from . import views

urlpatterns = [
    path("", views.index),
    path("client/", views.client),
    path("slow/", views.slow),
]
