from django.apps import AppConfig


class OpendataConfig(AppConfig):
    name = "motcua.opendata"
    verbose_name = "Dữ liệu mở / Open data"
    label = "opendata"
