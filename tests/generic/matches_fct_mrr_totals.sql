{#- Money and counts of a movements mart equal the sums of fct_mrr at the
    same grain: nothing is lost or double counted on the way. -#}
{% test matches_fct_mrr_totals(model, group_by=[]) %}
    {%- set keys = ['month'] + group_by %}
    with expected as (
        select
            {{ keys | join(', ') }},
            sum(previous_mrr) as starting_mrr,
            sum(mrr) as ending_mrr,
            sum(case when movement = 'churn' then previous_mrr else 0 end) as churned_mrr,
            sum(fx_impact_mrr) as fx_impact_mrr,
            sum(case when mrr > 0 then 1 else 0 end) as customers_end
        from {{ ref('fct_mrr') }}
        group by {{ keys | join(', ') }}
    ),

    compared as (
        select
            expected.*,
            actual.starting_mrr as actual_starting_mrr,
            actual.ending_mrr as actual_ending_mrr,
            actual.churned_mrr as actual_churned_mrr,
            actual.fx_impact_mrr as actual_fx_impact_mrr,
            actual.customers_end as actual_customers_end
        from expected
        full outer join {{ model }} as actual
            on
                {%- for column in keys %}
                expected.{{ column }} = actual.{{ column }}{{ " and" if not loop.last }}
                {%- endfor %}
    )

    select *
    from compared
    where
        coalesce(starting_mrr, -1) != coalesce(actual_starting_mrr, -1)
        or coalesce(ending_mrr, -1) != coalesce(actual_ending_mrr, -1)
        or coalesce(churned_mrr, -1) != coalesce(actual_churned_mrr, -1)
        or coalesce(fx_impact_mrr, -1) != coalesce(actual_fx_impact_mrr, -1)
        or coalesce(customers_end, -1) != coalesce(actual_customers_end, -1)
{% endtest %}
