from ninja import NinjaAPI

api = NinjaAPI(title="Samen API", version="1", urls_namespace="api")
