FROM python:3.12
LABEL maintainer="{{ project.maintainer }}"
RUN pip install flask
