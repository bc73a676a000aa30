import { api, unwrap } from "@/api";
import type { User } from "@/api/types";

export interface LoginInput {
  username: string;
  password: string;
}

export async function login(input: LoginInput) {
  return unwrap(api.POST("/api/v1/auth/login", { body: input }));
}

export async function logout(): Promise<void> {
  await unwrap(api.POST("/api/v1/auth/logout"));
}

export async function fetchMe(): Promise<User> {
  return unwrap(api.GET("/api/v1/auth/me"));
}

export async function changePassword(input: {
  current_password: string;
  new_password: string;
}): Promise<void> {
  await unwrap(api.POST("/api/v1/auth/password", { body: input }));
}
