"""What ``launch`` prints at the end, from a scripted outcome (no Heat)."""

from heat_deltacloud.launch import cli
from heat_deltacloud.launch.launcher import Launcher, Outcome
from heat_deltacloud.launch.watcher import ResourceEvent, StackState


def instance(name, physical_id, status="CREATE_COMPLETE", addresses=None):
    return ResourceEvent("arn", "s", name, "AWS::EC2::Instance", physical_id,
                         status, None, "2026-12-04T10:00:01", addresses)


class ScriptedLauncher(Launcher):
    def __init__(self, table):
        super().__init__(heat=None)
        self.table = table

    def addresses(self, physical_id):
        return self.table.get(physical_id)


def test_the_summary_reads_addresses_again(capsys):
    # Before: the summary showed the addresses read when Db completed,
    # without the address its EIPAssociation attached afterwards.
    outcome = Outcome(
        StackState("arn", "s", "CREATE_COMPLETE", None, {}),
        {"Db": instance("Db", "inst1",
                        addresses={"public": ["img2.inst1.public.com"],
                                   "private": []}),
         "Gone": instance("Gone", "inst2", "DELETE_COMPLETE",
                          addresses={"public": ["a"], "private": []})})
    launcher = ScriptedLauncher({"inst1": {"public": ["192.168.0.5"],
                                           "private": ["10.0.0.1"]}})
    cli._report(outcome, launcher)
    out = capsys.readouterr().out
    assert "  instance Db inst1: public 192.168.0.5  private 10.0.0.1\n" in out
    # A deleted instance is not looked up again.
    assert "  instance Gone inst2: public a\n" in out


def test_map_and_list_outputs_reach_the_launcher_as_json():
    # Before: botocore read Heat's nested XML as an empty string.
    import json

    from heat_deltacloud.launch import heatcfn

    body = (b"<DescribeStacksResponse><DescribeStacksResult><Stacks><member>"
            b"<Outputs><member><OutputKey>networks</OutputKey><OutputValue>"
            b"<private><member>10.0.0.1</member><member>10.0.0.2</member>"
            b"</private></OutputValue></member><member><OutputKey>l"
            b"</OutputKey><OutputValue><member>a</member></OutputValue>"
            b"</member><member><OutputKey>s</OutputKey><OutputValue>text"
            b"</OutputValue></member></Outputs></member></Stacks>"
            b"</DescribeStacksResult></DescribeStacksResponse>")
    response = {"body": body}
    heatcfn._json_output_values(response)
    text = response["body"].decode()
    assert "<OutputValue>text</OutputValue>" in text
    values = [json.loads(v.split("</OutputValue>")[0])
              for v in text.split("<OutputValue>")[1:3]]
    assert values == [{"private": ["10.0.0.1", "10.0.0.2"]}, ["a"]]
    assert cli.output_value('{"private": ["10.0.0.1"]}') == \
        {"private": ["10.0.0.1"]}
    assert cli.output_value("plain") == "plain"


def test_a_failed_instance_is_reported_failed_not_addressless(capsys):
    # Before: "instance Web s-Web-x2k: no address known", Heat's own name
    # for the server shown as if it were an instance id.
    outcome = Outcome(
        StackState("arn", "s", "CREATE_FAILED", "Resource CREATE failed",
                   {}),
        {"Web": instance("Web", "s-Web-x2k", "CREATE_FAILED")})
    cli._report(outcome, ScriptedLauncher({}))
    out = capsys.readouterr().out
    assert "  instance Web: CREATE_FAILED\n" in out
    assert "no address known" not in out
    assert "s-Web-x2k" not in out
