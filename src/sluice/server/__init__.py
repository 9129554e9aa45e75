"""The Sluice server: the KFP v2beta1 REST API, background execution and schedules."""
