"""The embedded engine's sqlite database behaves like Heat's on MySQL or
PostgreSQL where it matters for secrets."""

import pytest

pytestmark = [pytest.mark.heat]

IAM = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Resources": {
        "User": {"Type": "AWS::IAM::User"},
        "Key": {"Type": "AWS::IAM::AccessKey",
                "Properties": {"UserName": {"Ref": "User"}}},
    },
}

HANDLE = {
    "heat_template_version": "2018-08-31",
    "resources": {"handle": {"type": "OS::Heat::WaitConditionHandle"}},
    "outputs": {"curl": {"value": {"get_attr": ["handle", "curl_cli"]}}},
}


def test_deleted_resources_leave_no_data_to_inherit(heat, served_apis,
                                                    deltacloud_mock):
    """sqlite reuses the highest row id of a deleted resource: without
    foreign keys its resource data (an AccessKey's encrypted secret) was
    left behind and read by the next resource, which then signed nothing.
    """
    from heat.db import api as db_api

    with db_api.get_engine().connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    ctx = heat.context("mockuser", "mockpassword", deltacloud_mock.url)
    iam = heat.engine_client.create_stack(ctx, "iam", IAM, {}, {}, {})
    assert heat.wait_for_stack(ctx, iam)["stack_status"] == "COMPLETE"
    heat.delete_stack(ctx, iam)
    handle = heat.engine_client.create_stack(ctx, "handle", HANDLE, {},
                                             {}, {})
    stack = heat.wait_for_stack(ctx, handle)
    assert stack["stack_status"] == "COMPLETE", stack["stack_status_reason"]
    curl = stack["outputs"][0]["output_value"]
    assert curl.startswith("curl -i -X PUT"), curl
    heat.delete_stack(ctx, handle)


def test_signal_urls_without_a_catalog_name_the_options(heat,
                                                        deltacloud_mock):
    """No heat-api-cfn URL configured: the error says which options to
    set (stock Heat would ask Keystone's catalog, here the Deltacloud URL).
    """
    from oslo_config import cfg

    served = cfg.CONF.heat_waitcondition_server_url
    cfg.CONF.set_override("heat_waitcondition_server_url", None)
    try:
        ctx = heat.context("mockuser", "mockpassword", deltacloud_mock.url)
        handle = heat.engine_client.create_stack(ctx, "nourl", HANDLE, {},
                                                 {}, {})
        stack = heat.wait_for_stack(ctx, handle)
    finally:
        if served:
            cfg.CONF.set_override("heat_waitcondition_server_url", served)
        else:
            cfg.CONF.clear_override("heat_waitcondition_server_url")
    error = stack["outputs"][0]["output_error"]
    assert error.startswith("no cloudformation URL: the Deltacloud backend "
                            "has no service catalog; set "
                            "heat_waitcondition_server_url"), error
    heat.delete_stack(ctx, handle)


def test_commits_do_not_wait_for_the_disk(heat):
    """Every transaction takes sqlite's one write lock (BEGIN IMMEDIATE),
    so commits must be cheap: WAL without an fsync per commit.  With the
    rollback journal ten concurrent stacks queued behind fsyncs
    (benchmarks ``concurrency``)."""
    from heat.db import api as db_api

    with db_api.get_engine().connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        # 1 = NORMAL: no fsync at commit in WAL mode (FULL is 2).
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
