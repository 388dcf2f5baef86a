from django.apps import AppConfig


class StockAppConfig(AppConfig):
    name = "bench.stock_drf.stockapp"
    label = "stockapp"
