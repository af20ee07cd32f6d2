from django import template

from storefront.dashboards.panels import dashboards_for

register = template.Library()


@register.inclusion_tag("dashboards/panels.html", takes_context=True)
def admin_dashboards(context):
    return {"dashboards": dashboards_for(context["request"].user)}
