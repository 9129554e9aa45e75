"""Local serving of deployed models: the prediction process and its supervisor.

A model deployed to an endpoint (``model.deploy(endpoint=...)``) is served by a process of
its own, as Vertex AI serves it in a container: ``python -m sluice.serving`` reads the
same ``AIP_*`` variables a Vertex prediction container reads (``AIP_HTTP_PORT``,
``AIP_PREDICT_ROUTE``, ``AIP_HEALTH_ROUTE``, ``AIP_STORAGE_URI``) and answers
``POST {predict route}`` with ``{"predictions": [...]}``. :mod:`.loaders` decides what the
model is (scikit-learn, XGBoost, LightGBM, a Custom Prediction Routine);
:mod:`.supervisor` starts the processes, restarts one that dies and stops them.
"""
