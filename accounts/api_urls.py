from django.urls import path

from accounts import api

urlpatterns = [
    path("auth/token/", api.TokenObtainApi.as_view(), name="auth-token"),
    path("users/me/", api.UserMeApi.as_view(), name="user-me"),
    path("users/me/calendar-secret/", api.CalendarSecretRotateApi.as_view(), name="user-calendar-secret"),
    path("users/", api.UserListCreateApi.as_view(), name="user-list"),
]
