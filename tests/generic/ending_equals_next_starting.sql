{#- Ending MRR and customers of month M equal the starting ones of M + 1,
    per `group_by` (summed over any finer grain). -#}
{% test ending_equals_next_starting(model, group_by=[]) %}
    {%- set keys = ['month'] + group_by %}
    with totals as (
        select
            {{ keys | join(', ') }},
            sum(starting_mrr) as starting_mrr,
            sum(ending_mrr) as ending_mrr,
            sum(customers_start) as customers_start,
            sum(customers_end) as customers_end
        from {{ model }}
        group by {{ keys | join(', ') }}
    ),

    paired as (
        select
            this_month.*,
            next_month.starting_mrr as next_starting_mrr,
            next_month.customers_start as next_customers_start
        from totals as this_month
        inner join totals as next_month
            on
                next_month.month = {{ dbt.dateadd('month', 1, 'this_month.month') }}
                {%- for column in group_by %}
                and next_month.{{ column }} = this_month.{{ column }}
                {%- endfor %}
    )

    select *
    from paired
    where ending_mrr != next_starting_mrr or customers_end != next_customers_start
{% endtest %}
