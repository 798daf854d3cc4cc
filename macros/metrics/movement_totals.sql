{#-
    mrr_movement_totals(relation, group_columns): the MRR waterfall of the
    fct_mrr rows in `relation`, per month and `group_columns`. Money is the
    sum of the customer amounts, so starting + new + expansion + reactivation
    - contraction - churned + fx impact = ending holds exactly. Expansion and
    contraction are measured at constant exchange rates (this month's): a
    customer's mrr_change minus its fx_impact_mrr.
-#}
{% macro mrr_movement_totals(relation, group_columns=[]) %}
    select
        month,
        {%- for column in group_columns %}
        {{ column }},
        {%- endfor %}
        cast(sum(previous_mrr) as decimal(18, 2)) as starting_mrr,
        cast(sum(case when movement = 'new' then mrr else 0 end) as decimal(18, 2)) as new_mrr,
        cast(sum(case when movement = 'expansion' then mrr_change - fx_impact_mrr else 0 end) as decimal(18, 2))
            as expansion_mrr,
        cast(sum(case when movement = 'contraction' then fx_impact_mrr - mrr_change else 0 end) as decimal(18, 2))
            as contraction_mrr,
        cast(sum(case when movement = 'churn' then previous_mrr else 0 end) as decimal(18, 2))
            as churned_mrr,
        cast(sum(case when movement = 'reactivation' then mrr else 0 end) as decimal(18, 2))
            as reactivation_mrr,
        cast(sum(mrr) as decimal(18, 2)) as ending_mrr,
        cast(sum(fx_impact_mrr) as decimal(18, 2)) as fx_impact_mrr,
        {{ count_where('previous_mrr > 0') }} as customers_start,
        {{ count_where('mrr > 0') }} as customers_end,
        {{ count_where("movement = 'new'") }} as new_customers,
        {{ count_where("movement = 'churn'") }} as churned_customers,
        {{ count_where("movement = 'reactivation'") }} as reactivated_customers
    from {{ relation }}
    group by
        month
        {%- for column in group_columns %},
        {{ column }}
        {%- endfor %}
{% endmacro %}


{#- The ratios derived from a waterfall row (docs/definitions.md); null when
    undefined. Net new MRR is ending - starting (the movements plus the fx
    impact); the retention and churn ratios use the movements alone, at
    constant rates. -#}
{% macro mrr_movement_ratios() %}
        cast(
            new_mrr + expansion_mrr + reactivation_mrr - contraction_mrr - churned_mrr + fx_impact_mrr
            as decimal(18, 2)
        ) as net_new_mrr,
        cast(ending_mrr * 12 as decimal(18, 2)) as arr,
        cast({{ safe_divide('ending_mrr', 'customers_end') }} as {{ type_double() }}) as arpa,
        cast({{ safe_divide('new_mrr + expansion_mrr + reactivation_mrr', 'churned_mrr + contraction_mrr') }}
            as {{ type_double() }}) as quick_ratio,
        cast({{ safe_divide('churned_customers', 'customers_start') }} as {{ type_double() }})
            as logo_churn_rate,
        cast({{ safe_divide('churned_mrr + contraction_mrr', 'starting_mrr') }} as {{ type_double() }})
            as gross_mrr_churn_rate,
        cast({{ safe_divide('churned_mrr + contraction_mrr - expansion_mrr - reactivation_mrr', 'starting_mrr') }}
            as {{ type_double() }}) as net_mrr_churn_rate,
        cast({{ safe_divide('starting_mrr + expansion_mrr + reactivation_mrr - contraction_mrr - churned_mrr',
                            'starting_mrr') }} as {{ type_double() }}) as net_revenue_retention,
        cast({{ safe_divide('starting_mrr - contraction_mrr - churned_mrr', 'starting_mrr') }}
            as {{ type_double() }}) as gross_revenue_retention
{% endmacro %}


{#- Rows meeting a condition, as a bigint. -#}
{% macro count_where(condition) -%}
    {#- count(), not sum(): an 8-byte state per group instead of a 16-byte sum. -#}
    cast(count(case when {{ condition }} then 1 end) as {{ dbt.type_bigint() }})
{%- endmacro %}
