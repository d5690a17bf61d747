# Shortcuts for the scripts in scripts/; each one bootstraps .venv when needed.
.PHONY: venv test units integration sanity lint changelog demo

venv:
	bash scripts/bootstrap.sh

test:
	bash scripts/test.sh

units:
	bash scripts/test.sh unit

integration:
	bash scripts/test.sh integration

sanity:
	bash scripts/test.sh sanity

lint:
	bash scripts/test.sh lint

changelog:
	bash scripts/test.sh changelog

demo:
	bash scripts/demo.sh
