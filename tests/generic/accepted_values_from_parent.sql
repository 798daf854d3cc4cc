{#- accepted_values for a category whose values come from the data (segment,
    acquisition channel, plan, churn reason): every value of `column_name`
    is a value of `field` in the parent `to`, or one of `extra_values` (e.g.
    the total row `all`). Nulls are left to not_null. -#}
{% test accepted_values_from_parent(model, column_name, to, field, extra_values=[]) %}
    with parent_values as (
        select distinct {{ field }} as value
        from {{ to }}
        where {{ field }} is not null
    )

    select
        child.{{ column_name }} as unexpected_value,
        count(*) as occurrences
    from {{ model }} as child
    left join parent_values
        on child.{{ column_name }} = parent_values.value
    where
        child.{{ column_name }} is not null
        and parent_values.value is null
        {%- if extra_values %}
        and child.{{ column_name }} not in (
            {%- for value in extra_values %}'{{ value }}'{{ ", " if not loop.last }}{% endfor -%}
        )
        {%- endif %}
    group by child.{{ column_name }}
{% endtest %}
