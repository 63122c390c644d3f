"""Deployable model -> CFN template (a plain dict), and its JSON text.

One ``AWS::EC2::Instance`` per assembly; hardware profiles and images
become parameters whose defaults come from the :class:`Mapping`; service
parameters with a value or without one become template parameters;
references become instance attributes, pre-allocated addresses, local
facts or wait condition data (see :mod:`plan`).
"""

import json

from heat_deltacloud.deployable import bootscript, plan, validate
from heat_deltacloud.deployable.errors import DeployableError
from heat_deltacloud.deployable.names import Namer, camel

BOOT_TIMEOUT = 3600


def to_json(template):
    """Deterministic text of a template."""
    return json.dumps(template, sort_keys=True, indent=2) + "\n"


class _Translation:
    def __init__(self, deployable, mapping, wait_conditions):
        self.deployable = deployable
        self.mapping = mapping
        self.wait_conditions = wait_conditions
        self.plan = plan.make(deployable, wait_conditions=wait_conditions)
        self.namer = Namer()
        self.instances = {
            a.name: self.namer.claim(camel(a.name), (a.name, "instance"),
                                     a.line, f"assembly {a.name}")
            for a in deployable.assemblies}
        self.parameters = {"KeyName": {
            "Type": "String", "Default": "",
            "Description": "Key pair for the instances (may be empty)"}}
        self.resources = {}
        self.outputs = {}

    def claim(self, name, owner, line, element):
        return self.namer.claim(name, owner, line, element)

    def template(self):
        for name in self.plan.order:
            self._assembly(self.deployable.assembly(name))
        if self.namer.problems:
            raise DeployableError(self.namer.problems)
        if self.wait_conditions:
            self.parameters["BootTimeout"] = {
                "Type": "Number", "Default": str(BOOT_TIMEOUT),
                "Description": "Seconds each instance may take to run "
                               "its services"}
        description = self.deployable.name
        if self.deployable.description:
            description += f": {self.deployable.description}"
        return {"AWSTemplateFormatVersion": "2010-09-09",
                "Description": description,
                "Parameters": self.parameters,
                "Resources": self.resources,
                "Outputs": self.outputs}

    def _input(self, name, owner, line, element, spec):
        name = self.claim(name, owner, line, element)
        self.parameters[name] = spec
        return {"Ref": name}

    def _flavor(self, assembly):
        flavor = self.mapping.flavor(assembly.hwp)
        spec = {"Type": "String", "Description":
                f"Flavor for hardware profile {assembly.hwp}"}
        if flavor is not None:
            spec["Default"] = flavor
        return self._input(camel("flavor", assembly.hwp),
                           ("hwp", assembly.hwp), assembly.line,
                           f"assembly {assembly.name}", spec)

    def _image(self, assembly):
        key, image = self.mapping.image(assembly)
        spec = {"Type": "String", "Description": f"Image for image {key}"}
        if image is not None:
            spec["Default"] = image
        return self._input(camel("image", key), ("image", key),
                           assembly.line, f"assembly {assembly.name}", spec)

    def _wait_names(self, assembly):
        base = self.instances[assembly.name]
        return base + "WaitHandle", base + "WaitCondition"

    def address(self, name, fact):
        """The CFN value of an address fact of assembly ``name``."""
        if name in self.plan.addresses:
            return {"Ref": self.instances[name] + "Address"}
        return {"Fn::GetAtt": [self.instances[name],
                               plan.ADDRESS_FACTS[fact]]}

    def _value(self, assembly, service, parameter, depends):
        ref = parameter.reference
        if ref is None:
            return bootscript.Substituted(
                self._service_input(assembly, service, parameter))
        if ref.service is not None:
            return bootscript.ServiceStatus(ref.service)
        if ref.assembly == assembly.name:
            return bootscript.LocalFact(ref.parameter)
        target = self.instances[ref.assembly]
        if ref.parameter in plan.ADDRESS_FACTS:
            if ref.assembly not in self.plan.addresses:
                depends.add(target)
            return bootscript.Substituted(
                self.address(ref.assembly, ref.parameter))
        wait = target + "WaitCondition"
        depends.add(wait)
        return bootscript.RemoteFact(
            ref.parameter, {"Fn::GetAtt": [wait, "Data"]})

    def _service_input(self, assembly, service, parameter):
        spec = {"Type": "String", "Description":
                f"Parameter {parameter.name} of service {service.name} "
                f"of assembly {assembly.name}"}
        if parameter.value:
            spec["Default"] = parameter.value
        if parameter.is_password:
            spec["NoEcho"] = "true"
        return self._input(
            camel(assembly.name, service.name, parameter.name),
            ("param", assembly.name, service.name, parameter.name),
            parameter.line,
            f"parameter {validate.where(assembly, service, parameter)}", spec)

    def _assembly(self, assembly):
        name = self.instances[assembly.name]
        depends = set()
        values = {(s.name, p.name): self._value(assembly, s, p, depends)
                  for s in assembly.services for p in s.parameters}
        wait_url = None
        facts = ()
        if self.wait_conditions:
            facts = plan.custom_facts(assembly)
            handle, condition = self._wait_names(assembly)
            wait_url = {"Ref": handle}
            self._resource(handle, assembly, {
                "Type": "AWS::CloudFormation::WaitConditionHandle"},
                "handle")
            self._resource(condition, assembly, {
                "Type": "AWS::CloudFormation::WaitCondition",
                "DependsOn": name,
                "Properties": {"Handle": wait_url,
                               "Count": str(max(1, len(facts))),
                               "Timeout": {"Ref": "BootTimeout"}}},
                "condition")
        user_data = bootscript.script(
            f"assembly {name}", self.plan.services[assembly.name], values,
            facts, wait_url)
        instance = {"Type": "AWS::EC2::Instance", "Properties": {
            "ImageId": self._image(assembly),
            "InstanceType": self._flavor(assembly),
            "KeyName": {"Ref": "KeyName"},
            "UserData": {"Fn::Base64": {"Fn::Join": ["", user_data]}}}}
        if depends:
            instance["DependsOn"] = sorted(depends)
        self._resource(name, assembly, instance, "instance")
        if assembly.name in self.plan.addresses:
            self._resource(name + "Address", assembly,
                           {"Type": "AWS::EC2::EIP"}, "address")
            self._resource(name + "AddressAssociation", assembly, {
                "Type": "AWS::EC2::EIPAssociation",
                "Properties": {"EIP": {"Ref": name + "Address"},
                               "InstanceId": {"Ref": name}}},
                "association")
        public = {"Fn::GetAtt": [name, "PublicIp"]}
        if assembly.name in self.plan.addresses:
            public = {"Ref": name + "Address"}
        self.outputs[name + "PublicIp"] = {
            "Description": f"Public address of assembly {assembly.name}",
            "Value": public}
        self.outputs[name + "PrivateIp"] = {
            "Description": f"Private address of assembly {assembly.name}",
            "Value": {"Fn::GetAtt": [name, "PrivateIp"]}}
        if facts:
            self.outputs[name + "Facts"] = {
                "Description": (
                    f"Facts assembly {assembly.name} returned "
                    f"({', '.join(facts)}): a JSON object, fact -> value "
                    f"(\"b64:\" and base64 for values that are not "
                    f"printable ASCII)"),
                "Value": {"Fn::GetAtt": [self._wait_names(assembly)[1],
                                         "Data"]}}

    def _resource(self, name, assembly, body, role):
        self.claim(name, (assembly.name, role), assembly.line,
                   f"assembly {assembly.name}")
        self.resources[name] = body


def translate(deployable, mapping, *, wait_conditions=True):
    """The CFN template (a dict) of a :class:`Deployable`.

    The model is checked against Conductor's rules again (cheap), so one
    built by hand rather than by ``load`` fails with the same problems.
    ``wait_conditions=False`` leaves out the wait condition of every
    assembly (and with it the exit status and custom facts).
    """
    validate.check(deployable)
    return _Translation(deployable, mapping, wait_conditions).template()
