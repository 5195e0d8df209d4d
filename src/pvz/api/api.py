from ninja import NinjaAPI

api = NinjaAPI(title="OpenPVZ API", version="1", docs_url="/docs")
