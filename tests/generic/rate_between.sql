{#- Rows where a rate lies outside [min_value, max_value] (nulls allowed:
    a rate is null when its denominator is 0). -#}
{% test rate_between(model, column_name, min_value=0, max_value=1) %}
    select *
    from {{ model }}
    where
        {{ column_name }} is not null
        and ({{ column_name }} < {{ min_value }} or {{ column_name }} > {{ max_value }})
{% endtest %}
