{#- Statuses whose periods carry MRR. Trials and pauses carry none. -#}
{% macro mrr_bearing_statuses() -%}
    ('active', 'past_due', 'canceled')
{%- endmacro %}


{#- Months in one billing interval: month 1, quarter 3, year 12. -#}
{% macro months_in_interval(billing_interval) -%}
    case {{ billing_interval }}
        when 'month' then 1
        when 'quarter' then 3
        when 'year' then 12
    end
{%- endmacro %}


{#- An amount charged per billing interval, normalised to one month. -#}
{% macro monthly_normalised(amount, billing_interval) -%}
    cast({{ amount }} as {{ type_double() }}) / {{ months_in_interval(billing_interval) }}
{%- endmacro %}


{#- An amount in a row's currency converted with a rate to the reporting currency. -#}
{% macro to_reporting_currency(amount, rate) -%}
    ({{ amount }}) * ({{ rate }})
{%- endmacro %}


{#- Money rounded to cents, half away from zero, exactly: the sum is first
    fixed at 6 decimals so a float such as 0.105 rounds like the decimal. -#}
{% macro round_money(expression) -%}
    cast(round(cast({{ expression }} as decimal(38, 6)), 2) as decimal(18, 2))
{%- endmacro %}


{#-
    The MRR movement of a customer-month (docs/definitions.md), per customer:
    new           first month ever with MRR > 0
    reactivation  MRR > 0 after a month at 0, not the first
    expansion     MRR up, both months > 0
    contraction   MRR down, both months > 0
    (up / down is measured against previous_mrr_at_current_fx when given:
    the previous month's subscriptions at this month's exchange rates, so a
    rate change alone is flat)
    churn         MRR 0 after a month > 0
    flat          unchanged and > 0
    inactive      0 and 0
-#}
{% macro mrr_movement(mrr, previous_mrr, is_first_month, previous_mrr_at_current_fx=none) -%}
    {%- set baseline = previous_mrr_at_current_fx if previous_mrr_at_current_fx is not none else previous_mrr -%}
    case
        when {{ is_first_month }} and {{ mrr }} > 0 then 'new'
        when {{ mrr }} > 0 and {{ previous_mrr }} = 0 then 'reactivation'
        when {{ mrr }} > 0 and {{ mrr }} > {{ baseline }} then 'expansion'
        when {{ mrr }} > 0 and {{ mrr }} < {{ baseline }} then 'contraction'
        when {{ mrr }} = 0 and {{ previous_mrr }} > 0 then 'churn'
        when {{ mrr }} > 0 then 'flat'
        else 'inactive'
    end
{%- endmacro %}
