"""Local emulators of iPaaS REST APIs for tests, the demo and benchmarks (standard library only)."""
