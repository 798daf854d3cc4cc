{#- How many months ahead the MRR forecast looks (mrr_forecast, its backtest). -#}
{% macro forecast_horizon_months() -%}
    12
{%- endmacro %}


{#- The z value of the forecast band and of the initiative confidence
    intervals (two-sided 95%). -#}
{% macro z_95() -%}
    1.959963985
{%- endmacro %}
