/**
 * The Standard Schema interface (version 1, https://standardschema.dev), typed here as the
 * specification asks of libraries that accept schemas: zod, valibot, arktype and the kit's own
 * property helpers implement it, and none of them is a dependency of this package.
 */

/** A validator of any schema library that implements Standard Schema version 1. */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': StandardSchemaV1.Props<Input, Output>;
}

export declare namespace StandardSchemaV1 {
  /** The `~standard` properties. */
  interface Props<Input = unknown, Output = Input> {
    readonly version: 1;
    /** The schema library's name. */
    readonly vendor: string;
    /** Validates a value; never throws for an invalid one, but reports its issues. */
    readonly validate: (
      value: unknown,
      options?: Options | undefined,
    ) => Result<Output> | Promise<Result<Output>>;
    /** The input and output types, for inference only. */
    readonly types?: Types<Input, Output> | undefined;
  }

  /** Vendor options of `validate`. */
  interface Options {
    readonly libraryOptions?: Record<string, unknown> | undefined;
  }

  type Result<Output> = SuccessResult<Output> | FailureResult;

  interface SuccessResult<Output> {
    readonly value: Output;
    readonly issues?: undefined;
  }

  interface FailureResult {
    readonly issues: ReadonlyArray<Issue>;
  }

  /** One problem: a message, and where it is in the value. */
  interface Issue {
    readonly message: string;
    readonly path?: ReadonlyArray<PropertyKey | PathSegment> | undefined;
  }

  interface PathSegment {
    readonly key: PropertyKey;
  }

  interface Types<Input = unknown, Output = Input> {
    readonly input: Input;
    readonly output: Output;
  }

  /** The type a schema accepts. */
  type InferInput<Schema extends StandardSchemaV1> = NonNullable<
    Schema['~standard']['types']
  >['input'];

  /** The type a schema gives. */
  type InferOutput<Schema extends StandardSchemaV1> = NonNullable<
    Schema['~standard']['types']
  >['output'];
}
