// The gRPC health service's descriptor (grpc/health/v1/health.proto, Check
// only), built at run time so the interop peers need no generated code.
import { create, createFileRegistry } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";

const file = create(FileDescriptorProtoSchema, {
  name: "grpc/health/v1/health.proto",
  package: "grpc.health.v1",
  syntax: "proto3",
  messageType: [
    { name: "HealthCheckRequest", field: [{ name: "service", number: 1, label: 1, type: 9, jsonName: "service" }] },
    {
      name: "HealthCheckResponse",
      field: [{ name: "status", number: 1, label: 1, type: 14, typeName: ".grpc.health.v1.HealthCheckResponse.ServingStatus", jsonName: "status" }],
      enumType: [{ name: "ServingStatus", value: [{ name: "UNKNOWN", number: 0 }, { name: "SERVING", number: 1 }, { name: "NOT_SERVING", number: 2 }, { name: "SERVICE_UNKNOWN", number: 3 }] }],
    },
  ],
  service: [
    {
      name: "Health",
      method: [{ name: "Check", inputType: ".grpc.health.v1.HealthCheckRequest", outputType: ".grpc.health.v1.HealthCheckResponse" }],
    },
  ],
});

export const Health = createFileRegistry(file, () => undefined).getService("grpc.health.v1.Health");
