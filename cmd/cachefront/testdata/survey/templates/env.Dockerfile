FROM python:3.12
ENV APP_HOST={{ app_host }}
RUN pip install flask
