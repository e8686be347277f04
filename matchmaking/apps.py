from django.apps import AppConfig


class MatchmakingConfig(AppConfig):
    name = "matchmaking"

    def ready(self):
        from matchmaking import receivers  # noqa: F401 - connects the signal handlers
