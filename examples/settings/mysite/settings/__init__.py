"""Settings for mysite, one module per environment.

Point DJANGO_SETTINGS_MODULE at one of the modules, never at this package:

    mysite.settings.dev    on your machine (manage.py's default)
    mysite.settings.prod   on the servers (asgi.py's default)

Both start from mysite.settings.base, which holds what they share.
"""
