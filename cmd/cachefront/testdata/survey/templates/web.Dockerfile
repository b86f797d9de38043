FROM python:3.12
{% if with_node %}
RUN npm ci
{% endif %}
RUN pip install -r requirements.txt
