{#- The currencies an amount can be converted from: the reporting currency
    and every currency with at least one clean fx rate. -#}
{% macro known_currencies() %}
    select distinct currency from {{ ref('stg_fx_rates') }}
    union
    select '{{ var("reporting_currency") | upper }}' as currency
{% endmacro %}
