# The referral_hub service image: the installed package only (no tests, benchmarks or reference data).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY referral_hub ./referral_hub
COPY directory_import ./directory_import
# `referral-hub db upgrade` reads the Alembic revisions beside the package, so the tree stays and the
# install is editable.
COPY migrations ./migrations
RUN pip install -e .

RUN useradd --system --create-home --home-dir /home/referral_hub --uid 10001 --shell /usr/sbin/nologin referral_hub
USER referral_hub
# The default SQLite database is created in the working directory, so it must be writable.
WORKDIR /home/referral_hub

EXPOSE 8000
CMD ["referral-hub", "serve", "--host", "0.0.0.0", "--port", "8000"]
