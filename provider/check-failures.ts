import type * as pulumi from "@pulumi/pulumi";
import { X509Certificate } from "node:crypto";
import { CopyJobError } from "../engine";
import { isUnknown } from "./inputs";
import type { LifecycleInputs } from "./kind";

/**
 * What every kind's `check` reports alike: an engine error put on the property it is about, the inputs
 * about waiting and pausing, a certificate that must parse, and nothing about a value not known yet.
 */
export type Failure = pulumi.dynamic.CheckFailure;

/** The resource property an engine error's field (`name`, `source.container`, …) belongs to. */
export type PropertyOfField = (field: string | undefined) => string;

export function failureOf(error: unknown, propertyOfField: PropertyOfField): Failure {
  return {
    property: propertyOfField(error instanceof CopyJobError ? error.field : undefined),
    reason: error instanceof Error ? error.message : String(error),
  };
}

const booleanInputs = ["waitForCompletion", "paused", "completed"] as const;

/** The inputs the shared lifecycle reads (lifecycle.ts), judged the same for every kind. */
export function lifecycleProblems(news: LifecycleInputs): Failure[] {
  const failures: Failure[] = [];
  const { timeoutMinutes } = news;
  if (timeoutMinutes !== undefined && !(typeof timeoutMinutes === "number" && timeoutMinutes > 0)) {
    failures.push({
      property: "timeoutMinutes",
      reason: `timeoutMinutes ${JSON.stringify(timeoutMinutes)} is not valid: give a positive number of minutes, or leave it out to wait as long as the copy takes.`,
    });
  }
  for (const name of booleanInputs) {
    const value = news[name];
    if (value !== undefined && typeof value !== "boolean")
      failures.push({
        property: name,
        reason: `${name} ${JSON.stringify(value)} is not valid: use true or false.`,
      });
  }
  return failures;
}

/** A certificate input that is not PEM, named by `field` (`account.caCertificate`); undefined if it parses. */
export function certificateProblem(field: string, pem: string): string | undefined {
  try {
    new X509Certificate(pem);
    return undefined;
  } catch {
    return `${field} is not a PEM certificate: give the certificate's text, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----.`;
  }
}

/** The failures about values known now: during preview, inputs from resources not created yet are not. */
export function knownFailures(news: object, failures: Failure[]): Failure[] {
  return failures.filter((failure) => !isUnknown((news as Record<string, unknown>)[failure.property]));
}
