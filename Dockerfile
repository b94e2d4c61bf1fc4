# Konvergensi Airflow image: the official Airflow 3.3.2 image plus our pinned lock file.
#
# Built by docker-compose.yaml (`docker compose build`). requirements.txt is the fully pinned
# lock generated from requirements.in with uv for Python 3.11, which matches this base image.
FROM apache/airflow:3.3.2-python3.11

COPY requirements.txt /requirements.txt

# Pin apache-airflow to the image's own version next to the lock (the official "extend the
# image" recipe) so a lock that drifted from the base image fails the build instead of silently
# replacing Airflow inside it.
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" -r /requirements.txt
