import express5 from "express";
import express4 from "express4";

/** The Express major the HTTP specs run on: 5, or 4 with `GATEHOUSE_TEST_EXPRESS=4` (`npm run test:express4`). */
export const EXPRESS_MAJOR = process.env.GATEHOUSE_TEST_EXPRESS === "4" ? 4 : 5;

/** The `express` the specs build their apps with (see {@link EXPRESS_MAJOR}). */
export const express: typeof express5 = EXPRESS_MAJOR === 4 ? express4 : express5;
