"""One FastAPI router per KFP resource."""
