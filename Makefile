# Shortcuts for the scripts in scripts/; each one bootstraps .venv when needed.
.PHONY: venv test units integration sanity lint changelog demo release

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

# make release VERSION=1.0.0 [RELEASE_ARGS=--skip-tests]: see docs/releasing.md.
release:
	@test -n "$(VERSION)" || { echo "usage: make release VERSION=x.y.z [RELEASE_ARGS=--skip-tests]" >&2; exit 2; }
	bash scripts/release.sh $(VERSION) $(RELEASE_ARGS)
