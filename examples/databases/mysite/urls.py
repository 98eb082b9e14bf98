from django.urls import path

from . import views

urlpatterns = [
    path("accounts/", views.accounts),
    path("thread/", views.thread),
    path("async/accounts/", views.async_accounts),
    path("async/accounts/<str:name>/", views.async_account),
    path("async/transfer/", views.async_transfer),
    path("hold/", views.hold),
]
